"""POST /api/v1/ivr/pin (JSON) and /api/v1/ivr/twiml (Twilio): the after-hours line.

The IVR posts the caller's number and the PIN typed; the answer says whether the
customer has Extra Time now and whom to connect. Rules live in `services.ivr_pin_check`;
`call_flow` picks the TwiML prompt of each step.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import BaseParser, FormParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from assistdesk.channels.afterhours import call_flow, services
from assistdesk.channels.afterhours.auth import IsIvrLine, IvrLineAuthentication
from assistdesk.channels.models import IvrLine
from assistdesk.channels.monitoring.http import ChannelView, ErrorBodySerializer
from assistdesk.common import clock


class PinRequestSerializer(serializers.Serializer[Any]):
    caller = serializers.CharField(
        max_length=64, allow_blank=True, help_text="the caller id; empty when withheld"
    )
    pin = serializers.CharField(max_length=32, allow_blank=True, help_text="the digits typed")
    customer_key = serializers.CharField(
        max_length=50, required=False, allow_blank=True, help_text="the customer's key, if asked"
    )
    customer_code = serializers.CharField(
        max_length=10, required=False, allow_blank=True, help_text="the keypad customer code"
    )


class PinAnswerSerializer(serializers.Serializer[Any]):
    result = serializers.CharField(  # not an enum: its component name could collide
        help_text="granted: connect; not_covered: right PIN, no Extra Time now; refused: "
        "anything else (wrong PIN, unknown customer, locked); identify: ask for the "
        "customer code and call again with customer_code",
    )
    extra_time = serializers.BooleanField()
    connect_to = serializers.CharField(allow_null=True, help_text="the on-call phone")
    technician = serializers.CharField(allow_null=True)
    ticket = serializers.CharField(allow_null=True, help_text="the phone ticket opened")
    language = serializers.CharField()
    say = serializers.CharField(help_text="what to tell the caller, in `language`")


class IvrPinView(ChannelView):
    authentication_classes = [IvrLineAuthentication]
    permission_classes = [IsIvrLine]

    @extend_schema(
        operation_id="ivr_pin_check",
        tags=["after-hours"],
        summary="Check a support PIN typed on the after-hours line",
        request=PinRequestSerializer,
        responses={200: PinAnswerSerializer, 400: ErrorBodySerializer, 401: ErrorBodySerializer},
    )
    def post(self, request: Request) -> Response:
        assert isinstance(request.auth, IvrLine)
        form = PinRequestSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        check = services.ivr_pin_check(
            caller=data["caller"],
            pin=data["pin"],
            customer_key=data.get("customer_key") or None,
            customer_code=data.get("customer_code") or None,
            line=request.auth,
            now=clock.now(),
        )
        shift = check.on_call
        return Response(
            {
                "result": check.outcome,
                "extra_time": check.is_extra_time,
                "connect_to": shift.phone if shift is not None else None,
                "technician": (shift.technician.get_full_name() or str(shift.technician))
                if shift is not None
                else None,
                "ticket": check.ticket.reference if check.ticket is not None else None,
                "language": check.language,
                "say": call_flow.spoken(check),
            }
        )


class TwilioCallSerializer(serializers.Serializer[Any]):
    From = serializers.CharField(max_length=64, allow_blank=True, required=False, default="")
    Digits = serializers.CharField(max_length=32, allow_blank=True, required=False, default="")


class FirstRenderer(BaseContentNegotiation):
    """Twilio's Accept header does not choose: the answer is TwiML, errors JSON."""

    def select_parser(self, request: Request, parsers: Iterable[BaseParser]) -> BaseParser | None:
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: str | None = None
    ) -> tuple[BaseRenderer, str]:
        first = next(iter(renderers))
        return first, first.media_type


class IvrTwimlView(ChannelView):
    authentication_classes = [IvrLineAuthentication]
    permission_classes = [IsIvrLine]
    parser_classes = [FormParser]
    content_negotiation_class = FirstRenderer

    @extend_schema(
        operation_id="ivr_twiml_step",
        tags=["after-hours"],
        summary="The after-hours line for Twilio: form fields in, TwiML out",
        request={"application/x-www-form-urlencoded": TwilioCallSerializer},
        parameters=[
            OpenApiParameter("step", str, enum=["code"], required=False),
            OpenApiParameter("code", str, required=False, description="the customer code"),
        ],
        responses={
            (200, "text/xml"): OpenApiResponse(OpenApiTypes.STR, description="TwiML"),
            400: ErrorBodySerializer,
            401: ErrorBodySerializer,
        },
    )
    def post(self, request: Request) -> HttpResponse:
        assert isinstance(request.auth, IvrLine)
        form = TwilioCallSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        query = request.query_params
        xml = call_flow.twiml_step(
            caller=form.validated_data["From"],
            digits=form.validated_data["Digits"].strip(),
            step=query.get("step", ""),
            code="".join(ch for ch in query.get("code", "") if ch.isascii() and ch.isdigit()),
            line=request.auth,
            path=request.path,
            token=query.get("token") if "token" in query else None,
            now=clock.now(),
        )
        return HttpResponse(xml, content_type="text/xml; charset=utf-8")
