"""Problems of the statistics domain."""
from api.problems import problem

StatsOutOfScope = problem("stats-out-of-scope", 403, "Outside the scope of your unit",
                          "Ngoài phạm vi của đơn vị bạn")
