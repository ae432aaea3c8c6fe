"""Pre-meeting prep rules: the customer-priority dimensions of the manual's Appendix 1.

playbook/prep.yaml lists the dimensions a rep scores a target customer on (manual 三(一)
step 1: industry, company size, annual revenue, decision chain, pain urgency), each with a
label, its maximum points and a scoring guide in zh and en; the maxima sum to 100. The bands
say where a total becomes high (>= 80 by default) or medium (>= 60) potential.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from app.playbook.files import load_section
from app.playbook.persona import Language

FILE = "prep.yaml"
TOTAL_POINTS = 100
PriorityBand = Literal["high", "medium", "low"]


def _bilingual(value: dict[Language, str]) -> dict[Language, str]:
    missing = [lang for lang in get_args(Language) if not value.get(lang)]
    if missing:
        raise ValueError(f"missing text for {', '.join(missing)}")
    return value


class Dimension(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: dict[Language, str]
    max_points: int = Field(gt=0, le=TOTAL_POINTS)
    guide: dict[Language, str]

    _label = field_validator("label")(_bilingual)
    _guide = field_validator("guide")(_bilingual)


class Bands(BaseModel):
    model_config = ConfigDict(extra="forbid")

    high: int = Field(default=80, gt=0, le=TOTAL_POINTS)
    medium: int = Field(default=60, gt=0, le=TOTAL_POINTS)

    @model_validator(mode="after")
    def _ordered(self) -> Bands:
        if self.medium >= self.high:
            raise ValueError("medium must be below high")
        return self


class PrepRules(BaseModel):
    model_config = ConfigDict(extra="forbid")

    dimensions: list[Dimension] = Field(min_length=1)
    bands: Bands = Field(default_factory=Bands)

    @model_validator(mode="after")
    def _sums_to_100(self) -> PrepRules:
        ids = [d.id for d in self.dimensions]
        if len(set(ids)) != len(ids):
            raise ValueError("dimension ids must be unique")
        total = sum(d.max_points for d in self.dimensions)
        if total != TOTAL_POINTS:
            raise ValueError(f"max_points must sum to {TOTAL_POINTS}, not {total}")
        return self

    def dimension(self, dimension_id: str) -> Dimension | None:
        return next((d for d in self.dimensions if d.id == dimension_id), None)

    def band(self, score: int) -> PriorityBand:
        """high >= bands.high, medium >= bands.medium, else low (manual Appendix 1)."""
        if score >= self.bands.high:
            return "high"
        if score >= self.bands.medium:
            return "medium"
        return "low"


def load(dir: Path) -> PrepRules:
    """Read and validate playbook/prep.yaml under the playbook folder `dir`."""
    return load_section(PrepRules, dir / FILE)
