"""The Ministry of Health's priority groups for COVID-19 vaccination (Resolution 21/NQ-CP of
26 Feb 2021 as amended later in 2021, summarised; the order is the priority order)."""
from __future__ import annotations

GROUPS: tuple[tuple[str, str, str], ...] = (
    ("health_worker", "Người làm việc trong cơ sở y tế, ngành y tế",
     "Health workers and staff of health facilities"),
    ("frontline", "Người tham gia phòng, chống dịch (ban chỉ đạo, truy vết, cách ly, tình nguyện viên, phóng viên)",
     "People fighting the epidemic (steering committees, tracing, quarantine, volunteers, reporters)"),
    ("armed_forces", "Lực lượng quân đội, công an", "Army and police"),
    ("diplomatic_border", "Nhân viên ngoại giao, hải quan, xuất nhập cảnh",
     "Diplomatic, customs and immigration staff"),
    ("essential_services", "Người cung cấp dịch vụ thiết yếu (hàng không, vận tải, du lịch, điện, nước…)",
     "Essential services (aviation, transport, tourism, power, water…)"),
    ("education_admin", "Giáo viên, người làm việc tại cơ sở giáo dục; cơ quan hành chính tiếp xúc nhiều người",
     "Teachers and education staff; public offices in contact with many people"),
    ("age_65_plus", "Người từ 65 tuổi trở lên", "People aged 65 and over"),
    ("chronic_condition", "Người mắc bệnh mạn tính", "People with chronic conditions"),
    ("outbreak_area", "Người sinh sống tại vùng có dịch", "People living in outbreak areas"),
    ("poor_social_policy", "Người nghèo, đối tượng chính sách xã hội", "Poor households and social-policy beneficiaries"),
    ("workers", "Công nhân, người lao động tại khu công nghiệp, doanh nghiệp",
     "Workers in industrial zones and enterprises"),
    ("religious", "Chức sắc, chức việc các tôn giáo", "Religious dignitaries"),
    ("overseas_work_study", "Người được cử đi công tác, học tập, lao động ở nước ngoài",
     "People sent abroad to work or study"),
    ("children_12_17", "Trẻ em từ 12 đến 17 tuổi", "Children aged 12 to 17"),
    ("pregnant", "Phụ nữ mang thai (từ tuần 13)", "Pregnant women (from week 13)"),
    ("general", "Người dân khác từ 18 tuổi trở lên", "Everyone else aged 18 and over"),
)
CODES = tuple(g[0] for g in GROUPS)
