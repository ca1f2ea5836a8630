"""HTTP routes: thin, they parse the input, call the service and shape the output.

Domain errors become statuses here (404, 409, 422), and every status a route answers
is in the OpenAPI schema with its body.
"""

from collections.abc import Callable, Coroutine
from typing import Annotated, Any

from fastapi import (
    APIRouter,
    Depends,
    HTTPException,
    Path,
    Query,
    Request,
    Response,
    status,
)
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.types import Receive, Scope, Send

from db import SessionDep
from errors import ConflictError, MissingReferenceError, NotFoundError
from schemas import (
    OrderCreate,
    OrderLineCreate,
    OrderLineRead,
    OrderRead,
    OrderUpdate,
    Page,
    Problem,
)
from service import OrderService

# The methods of each path, for the Allow header of a 405.
PATH_METHODS: dict[str, set[str]] = {}


class ServiceRoute(APIRoute):
    """Maps the service's domain errors to HTTP statuses, and answers a method its path
    lacks with 405 and an Allow header naming every method of the path."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        super().__init__(path, endpoint, **kwargs)
        PATH_METHODS.setdefault(self.path, set()).update(self.methods or ())

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] not in (self.methods or ()):
            allow = ", ".join(sorted(PATH_METHODS[self.path]))
            raise HTTPException(
                status.HTTP_405_METHOD_NOT_ALLOWED, headers={"Allow": allow}
            )
        await super().handle(scope, receive, send)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def mapping_domain_errors(request: Request) -> Response:
            try:
                return await handler(request)
            except NotFoundError as exc:
                raise HTTPException(status.HTTP_404_NOT_FOUND, str(exc)) from exc
            except ConflictError as exc:
                raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from exc
            except MissingReferenceError as exc:
                error = {"type": "missing_reference", "loc": ("body",), "msg": str(exc)}
                raise RequestValidationError([error]) from exc

        return mapping_domain_errors


def service_for_request(
    session: SessionDep,
) -> OrderService:
    return OrderService(session)


ServiceDep = Annotated[OrderService, Depends(service_for_request)]
# Ids are INTEGER (int4) columns: an out-of-range id is a 422, not a database error.
OrderId = Annotated[int, Path(ge=1, le=2**31 - 1)]
Limit = Annotated[int, Query(ge=1, le=100)]
Offset = Annotated[int, Query(ge=0, le=2**31 - 1)]

# The error responses, documented with their body.
BAD_BODY: dict[int | str, dict[str, Any]] = {
    status.HTTP_400_BAD_REQUEST: {
        "model": Problem,
        "description": "The body is not valid JSON",
    },
}
NOT_FOUND: dict[int | str, dict[str, Any]] = {
    status.HTTP_404_NOT_FOUND: {
        "model": Problem,
        "description": "No such order",
    },
}
CONFLICT: dict[int | str, dict[str, Any]] = {
    status.HTTP_409_CONFLICT: {
        "model": Problem,
        "description": "Conflicts with existing data (e.g. a reference already taken)",
    },
}

router = APIRouter(prefix="/orders", tags=["orders"], route_class=ServiceRoute)


@router.post(
    "", status_code=status.HTTP_201_CREATED, responses={**BAD_BODY, **CONFLICT}
)
async def create_order(
    data: OrderCreate,
    service: ServiceDep,
    request: Request,
    response: Response,
) -> OrderRead:
    order = await service.create(data)
    location = request.url_for("get_order", order_id=order.id)
    response.headers["Location"] = str(location)
    return OrderRead.model_validate(order)


@router.get("")
async def list_orders(
    service: ServiceDep,
    limit: Limit = 50,
    offset: Offset = 0,
) -> Page[OrderRead]:
    rows, total = await service.get_many(limit=limit, offset=offset)
    return Page[OrderRead](
        items=[OrderRead.model_validate(row) for row in rows],
        total=total,
        limit=limit,
        offset=offset,
    )


@router.get("/{order_id}", responses=NOT_FOUND)
async def get_order(
    order_id: OrderId,
    service: ServiceDep,
) -> OrderRead:
    order = await service.get(order_id)
    return OrderRead.model_validate(order)


@router.patch("/{order_id}", responses={**BAD_BODY, **NOT_FOUND, **CONFLICT})
async def update_order(
    order_id: OrderId,
    data: OrderUpdate,
    service: ServiceDep,
) -> OrderRead:
    order = await service.update(order_id, data)
    return OrderRead.model_validate(order)


@router.delete(
    "/{order_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses={**NOT_FOUND, **CONFLICT},
)
async def delete_order(
    order_id: OrderId,
    service: ServiceDep,
) -> None:
    await service.delete(order_id)


@router.post(
    "/{order_id}/order-lines",
    status_code=status.HTTP_201_CREATED,
    responses={**BAD_BODY, **NOT_FOUND, **CONFLICT},
)
async def add_order_line(
    order_id: OrderId,
    data: OrderLineCreate,
    service: ServiceDep,
) -> OrderLineRead:
    order_line = await service.add_order_line(
        order_id,
        data,
    )
    return OrderLineRead.model_validate(order_line)
