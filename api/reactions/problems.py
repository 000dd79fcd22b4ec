"""Reaction problems."""
from api.problems import problem

ReportNotFound = problem("reaction-report-not-found", 404, "No such reaction report",
                         "Không có báo cáo phản ứng này")
TriageConflict = problem("triage-conflict", 409, "Someone else changed this report first: reload it",
                         "Người khác vừa cập nhật báo cáo này: hãy tải lại")
TriageClosed = problem("triage-closed", 409, "This report is closed", "Báo cáo này đã đóng")
