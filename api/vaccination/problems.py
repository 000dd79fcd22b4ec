"""Vaccination problems: stock, visits, screening, dose records, corrections, imports."""
from api.problems import problem

# stock
LotExpired = problem("lot-expired", 409, "This lot has expired", "Lô vắc xin này đã hết hạn")
LotQuarantined = problem("lot-quarantined", 409, "This lot is quarantined and cannot be used",
                         "Lô vắc xin này đang bị tạm dừng sử dụng")
LotNotAtSite = problem("lot-not-at-site", 409, "This lot is not in this unit's stock",
                       "Lô vắc xin này không có trong kho của đơn vị")
OutOfStock = problem("out-of-stock", 409, "Not enough doses of this lot in stock",
                     "Không đủ liều vắc xin của lô này trong kho")
LotMismatch = problem("lot-mismatch", 409, "A lot with this number exists with other details",
                      "Đã có lô cùng số với thông tin khác")
TransferState = problem("transfer-state", 409, "This transfer is not in transit",
                        "Phiếu chuyển kho này không còn ở trạng thái đang vận chuyển")
SecondPersonRequired = problem("second-person-required", 403,
                               "A second person must approve what you asked for",
                               "Cần một người thứ hai phê duyệt yêu cầu của bạn")
AdjustmentState = problem("adjustment-state", 409, "This adjustment was decided already",
                          "Điều chỉnh này đã được xử lý")
StoreRequired = problem("store-required", 422, "Lots are received at a province or national store",
                        "Lô vắc xin chỉ được nhập tại kho tỉnh hoặc kho quốc gia")
# visit and dose
NotASite = problem("not-a-site", 422, "This unit is not a vaccination site", "Đơn vị này không phải điểm tiêm")
VisitClosed = problem("visit-closed", 409, "This visit is closed", "Lượt tiêm này đã kết thúc")
NoOpenSession = problem("no-open-session", 409, "No session with room is open at this site today",
                        "Hôm nay điểm tiêm không có buổi tiêm còn chỗ")
CccdMismatch = problem("cccd-mismatch", 409, "The ID card does not match the person on record",
                       "Thẻ CCCD không khớp với hồ sơ")
ScreeningRequired = problem("screening-required", 409, "Screen the person before recording a dose",
                            "Cần khám sàng lọc trước khi ghi nhận mũi tiêm")
ScreeningNotCleared = problem("screening-not-cleared", 409,
                              "The screening did not clear this person for vaccination now",
                              "Kết quả khám sàng lọc không cho phép tiêm lúc này")
ScreeningInconsistent = problem("screening-inconsistent", 422,
                                "The outcome is less cautious than the checklist requires",
                                "Kết luận ít thận trọng hơn mức phiếu sàng lọc yêu cầu")
DoseNotAllowed = problem("dose-not-allowed", 422, "This dose cannot be given now",
                         "Không thể tiêm mũi này lúc này")
DoseAlreadyRecorded = problem("dose-already-recorded", 409, "This dose is already recorded",
                              "Mũi tiêm này đã được ghi nhận")
ObservationState = problem("observation-state", 409, "This person is not under observation",
                           "Người này không trong thời gian theo dõi sau tiêm")
# corrections, backfills, imports
CorrectionState = problem("correction-state", 409, "This request was decided already",
                          "Yêu cầu này đã được xử lý")
DoseState = problem("dose-state", 409, "The dose record is not in a state that allows this",
                    "Trạng thái bản ghi mũi tiêm không cho phép thao tác này")
EvidenceInvalid = problem("evidence-invalid", 422, "The evidence must be a JPEG, PNG or WebP photo",
                          "Minh chứng phải là ảnh JPEG, PNG hoặc WebP")
EvidenceTooLarge = problem("evidence-too-large", 413, "The photo is larger than 5 MB",
                           "Ảnh lớn hơn 5 MB")
ImportRejected = problem("import-rejected", 422, "Some rows of the file are not valid: nothing was imported",
                         "Một số dòng của tệp không hợp lệ: chưa nhập dòng nào")
ImportDuplicate = problem("import-duplicate", 409, "This file was imported already",
                          "Tệp này đã được nhập")
ImportState = problem("import-state", 409, "This import was decided already", "Lần nhập này đã được xử lý")
