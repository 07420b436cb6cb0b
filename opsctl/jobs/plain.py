"""A small dataclass stand-in for the `opsctl run` path.

`dataclasses` imports `inspect` (and with it ast, dis, tokenize): a measurable share of
the start-up budget of `opsctl run NAME -- true`. Subclasses list FIELDS in order and
DEFAULTS (a type such as `dict` or `list` is called for a fresh value).
"""

from __future__ import annotations


class Plain:
    FIELDS: tuple[str, ...] = ()
    DEFAULTS: dict = {}

    def __init__(self, *args, **kwargs):
        if len(args) > len(self.FIELDS):
            raise TypeError(f"{type(self).__name__} takes at most {len(self.FIELDS)} values")
        values = dict(zip(self.FIELDS, args))
        for key, value in kwargs.items():
            if key not in self.FIELDS or key in values:
                raise TypeError(f"{type(self).__name__}: unexpected or repeated field {key!r}")
            values[key] = value
        for name in self.FIELDS:
            if name not in values:
                if name not in self.DEFAULTS:
                    raise TypeError(f"{type(self).__name__}: missing field {name!r}")
                default = self.DEFAULTS[name]
                values[name] = default() if isinstance(default, type) else default
        self.__dict__.update(values)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{n}={getattr(self, n)!r}' for n in self.FIELDS)})"

    def __eq__(self, other) -> bool:
        return type(other) is type(self) and all(getattr(self, n) == getattr(other, n) for n in self.FIELDS)

    __hash__ = None
