from ninja import Schema

from gridgov.areas.schemas import AreaRef
from gridgov.catalogue.models import CaseCategory, Department
from gridgov.catalogue.queries import category_ancestors, category_children, responsible_functions


class FunctionRef(Schema):
    code: str
    name: str


class FunctionOut(Schema):
    code: str
    name: str
    unit_suffix: str


class CategoryRef(Schema):
    code: str
    name: str
    depth: int


class CategoryOut(Schema):
    code: str
    name: str
    scheme: str
    scheme_label: str
    parent_code: str | None
    depth: int
    # The category's own functions; empty means "as the parent" (see responsible_functions).
    functions: list[str]
    is_public: bool
    is_active: bool

    @staticmethod
    def resolve_scheme_label(category: CaseCategory) -> str:
        return str(category.get_scheme_display())

    @staticmethod
    def resolve_parent_code(category: CaseCategory) -> str | None:
        return category.parent.code if category.parent is not None else None

    @staticmethod
    def resolve_functions(category: CaseCategory) -> list[str]:
        return [function.code for function in category.functions.all()]


def category_ref(category: CaseCategory) -> CategoryRef:
    return CategoryRef(code=category.code, name=category.name, depth=category.depth)


class CategoryDetailOut(CategoryOut):
    ancestors: list[CategoryRef]
    children: list[CategoryRef]
    # What routing will use: the own functions, else the nearest ancestor's.
    responsible_functions: list[FunctionRef]

    @staticmethod
    def resolve_ancestors(category: CaseCategory) -> list[CategoryRef]:
        return [category_ref(c) for c in category_ancestors(category)]

    @staticmethod
    def resolve_children(category: CaseCategory) -> list[CategoryRef]:
        return [category_ref(c) for c in category_children(category)]

    @staticmethod
    def resolve_responsible_functions(category: CaseCategory) -> list[FunctionRef]:
        return [FunctionRef(code=f.code, name=f.name) for f in responsible_functions(category)]


class DepartmentOut(Schema):
    id: int
    code: str
    name: str
    function: FunctionRef | None
    area: AreaRef
    served_areas: list[AreaRef]
    is_active: bool

    @staticmethod
    def resolve_function(department: Department) -> FunctionRef | None:
        function = department.function
        return FunctionRef(code=function.code, name=function.name) if function is not None else None

    @staticmethod
    def resolve_area(department: Department) -> AreaRef:
        area = department.area
        return AreaRef(code=area.code, name=area.name, level=area.level)

    @staticmethod
    def resolve_served_areas(department: Department) -> list[AreaRef]:
        areas = sorted(department.served_areas.all(), key=lambda area: area.code)
        return [AreaRef(code=a.code, name=a.name, level=a.level) for a in areas]
