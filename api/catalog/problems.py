"""Catalog problems: vaccine products, dose rules, organisation units."""
from api.problems import problem

ProductUnknown = problem("product-unknown", 422, "There is no vaccine product with this code",
                         "Không có vắc xin với mã này")
ProductExists = problem("product-exists", 409, "A vaccine product with this code exists",
                        "Đã có vắc xin với mã này")
RuleVersionConflict = problem("rule-version-conflict", 409,
                              "A rule version must start after the latest version of the same rule",
                              "Phiên bản quy định mới phải bắt đầu sau phiên bản gần nhất")
UnitOutOfScope = problem("unit-out-of-scope", 403, "This unit is outside your scope",
                         "Đơn vị này nằm ngoài phạm vi của bạn")
UnitExists = problem("unit-exists", 409, "An organisation unit with this code exists",
                     "Đã có đơn vị với mã này")
