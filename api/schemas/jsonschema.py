"""JSON schemas for the OpenAPI document of items the API takes as plain objects (so that one malformed item of a
batch is answered `rejected` on its own instead of failing the whole batch)."""

from __future__ import annotations

from typing import Any

from ninja import Schema


def inline_json_schema(schema_class: type[Schema]) -> dict[str, Any]:
    """The class's JSON schema with its nested definitions (the enums) inlined, for the OpenAPI document."""
    schema = schema_class.model_json_schema()
    defs = schema.pop("$defs", {})

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            if ref.startswith("#/$defs/"):
                return inline(
                    {**defs[ref.removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}}
                )
            return {k: inline(v) for k, v in node.items()}
        if isinstance(node, list):
            return [inline(v) for v in node]
        return node

    return inline(schema)
