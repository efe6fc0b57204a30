"""The API's serializers, one module per area: shapes only, no business rules."""
