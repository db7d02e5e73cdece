from __future__ import annotations

from typing import Any

from rest_framework import serializers

# Ranges every integer from a client is checked against before it reaches the database:
# ids are 64-bit (BigAutoField), offsets stay far below what any backend can count to.
MAX_ID = 2**63 - 1
MAX_OFFSET = 2**31 - 1


class StrictSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not know, naming them: a typo must not be silently ignored."""

    def to_internal_value(self, data: Any) -> Any:
        """A text field given a number, a list or an object is refused, not stored as its
        string (`{"interests": 5}` saved "5")."""
        if isinstance(data, dict):
            wrong = {
                name: ["Must be a string."]
                for name, field in self.fields.items()
                if isinstance(field, serializers.CharField)
                and data.get(name) is not None
                and not isinstance(data[name], str)
            }
            if wrong:
                raise serializers.ValidationError(wrong)
        return super().to_internal_value(data)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        initial = self.initial_data if isinstance(self.initial_data, dict) else {}
        unknown = sorted(set(initial) - set(self.fields))
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return attrs
