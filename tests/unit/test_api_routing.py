"""The API's routers build one response model per answer shape, shared by their operations."""

from ninja import Schema

from marketplace.api.errors import ERROR_CODES, ErrorOut, documented
from marketplace.api.routing import Router, response_model
from marketplace.orders.api import router as orders
from marketplace.products.api import router as products
from marketplace.vendors.api import router as vendors
from marketplace.wallets.api import router as wallets


class ThingOut(Schema):
    name: str


def _operations(router):
    return [operation for path_view in router.path_operations.values() for operation in path_view.operations]


def test_codes_of_one_shape_share_a_model_that_checks_the_answer():
    router = Router()

    @router.get("/things/{pk}", response=documented(ThingOut))
    def thing(request, pk: int):
        return {"name": "kettle"}

    @router.post("/things", response={201: ThingOut, (400, 409): ErrorOut})
    def make(request):
        return 201, {"name": "kettle"}

    shown, made = _operations(router)
    assert set(shown.response_models) == {200, *ERROR_CODES}
    assert shown.response_models[200] is made.response_models[201] is response_model(ThingOut)
    assert len({shown.response_models[code] for code in ERROR_CODES}) == 1
    assert made.response_models[400] is made.response_models[409] is shown.response_models[404]
    assert shown.response_models[200].model_validate({"response": {"name": "kettle"}}).response.name == "kettle"


def test_a_response_that_is_no_dict_is_ninjas_own():
    router = Router()

    @router.get("/plain", response=ThingOut)
    def plain(request):
        return {"name": "kettle"}

    (operation,) = _operations(router)
    assert operation.response_models[200] is not response_model(ThingOut)
    assert operation.response_models[200].model_fields["response"].annotation is ThingOut


def test_the_marketplace_api_makes_one_model_per_shape():
    operations = [operation for router in (orders, products, vendors, wallets) for operation in _operations(router)]
    models = {id(model) for operation in operations for model in operation.response_models.values() if model}
    shapes = {
        model.model_fields["response"].annotation
        for operation in operations
        for model in operation.response_models.values()
        if model
    }
    assert len(operations) > 30
    assert len(models) == len(shapes)
    assert all(operation.response_models[404] is response_model(ErrorOut) for operation in operations)
