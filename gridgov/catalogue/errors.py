from django.utils.translation import gettext_lazy as _

from gridgov.core.errors import InvalidInput, NotFound


class CategoryNotFound(NotFound):
    code = "category_not_found"
    default_message = _("No such case category.")


class FunctionNotFound(NotFound):
    code = "function_not_found"
    default_message = _("No such department function.")


class DepartmentNotFound(NotFound):
    code = "department_not_found"
    default_message = _("No such department, or it is outside your data scope.")


class CatalogueDataInvalid(InvalidInput):
    """A data file has bad rows; `details["errors"]` lists every one (file, line, message)."""

    code = "catalogue_data_invalid"
    default_message = _("The catalogue data files have errors; nothing was loaded.")


class DepartmentInvalid(InvalidInput):
    code = "department_invalid"
    default_message = _("This department is not valid.")


class AreaUnknown(InvalidInput):
    code = "area_unknown"
    default_message = _("No such area.")


class NotADistrict(InvalidInput):
    code = "not_a_district"
    default_message = _("District departments can only be created for a district or county.")
