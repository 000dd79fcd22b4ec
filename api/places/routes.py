from flask.views import MethodView
from flask_smorest import Blueprint

from api.auth.guard import requires
from api.people.schemas import PlaceSchema
from api.places import service
from api.problems import NotFound

blp = Blueprint("places", __name__, url_prefix="/api/v1/places",
                description="Official administrative units (34 provinces, 3,321 wards/communes)")


@blp.route("/provinces")
class Provinces(MethodView):
    @requires("public")
    @blp.response(200, PlaceSchema(many=True), headers=None)
    def get(self):
        """The 34 provinces and centrally-run cities (codes in force since 1 July 2025)."""
        return service.provinces(), 200, {"Cache-Control": "public, max-age=86400"}


@blp.route("/provinces/<int:code>/wards")
class Wards(MethodView):
    @requires("public")
    @blp.response(200, PlaceSchema(many=True))
    def get(self, code):
        """The wards and communes of one province."""
        if not service.has_province(code):
            raise NotFound(f"No province with code {code}.", detail_vi=f"Không có tỉnh/thành mã {code}.")
        return service.wards(code), 200, {"Cache-Control": "public, max-age=86400"}
