"""The risk-indicator taxonomy: load, validate and look up tags."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import yaml

DEFAULT_TAXONOMY = Path(__file__).with_name("taxonomy-v1.yaml")


class TaxonomyError(ValueError):
    """The taxonomy file is malformed."""


@dataclass(frozen=True)
class Tag:
    id: str
    group: str
    name: str
    definition: str
    tag_when: str
    not_when: str


@dataclass(frozen=True)
class Taxonomy:
    version: str
    groups: dict[str, str]
    tags: tuple[Tag, ...]

    @property
    def ids(self) -> list[str]:
        return [t.id for t in self.tags]

    def __getitem__(self, tag_id: str) -> Tag:
        for t in self.tags:
            if t.id == tag_id:
                return t
        raise KeyError(tag_id)

    def __contains__(self, tag_id: object) -> bool:
        return any(t.id == tag_id for t in self.tags)

    def unknown(self, tag_ids) -> list[str]:
        """The ids in `tag_ids` that are not tags of this taxonomy, sorted."""
        known = set(self.ids)
        return sorted({t for t in tag_ids if t not in known})


def load_taxonomy(path: Path | str = DEFAULT_TAXONOMY) -> Taxonomy:
    """Read and validate a taxonomy YAML file (unique ids, known groups, all fields)."""
    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as e:
        raise TaxonomyError(f"{path}: cannot read taxonomy: {e}") from e
    if not isinstance(raw, dict) or not {"version", "groups", "tags"} <= raw.keys():
        raise TaxonomyError(f"{path}: needs the keys version, groups and tags")
    groups = {g["id"]: g.get("description", "") for g in raw["groups"]}
    tags, seen = [], set()
    fields = ("id", "group", "name", "definition", "tag_when", "not_when")
    for i, entry in enumerate(raw["tags"], 1):
        missing = [f for f in fields if f not in entry]
        if missing:
            raise TaxonomyError(f"{path}: tag #{i} lacks {', '.join(missing)}")
        if entry["id"] in seen:
            raise TaxonomyError(f"{path}: tag id {entry['id']!r} appears twice")
        if entry["group"] not in groups:
            raise TaxonomyError(
                f"{path}: tag {entry['id']!r} has unknown group {entry['group']!r} "
                f"(known: {', '.join(groups)})"
            )
        seen.add(entry["id"])
        tags.append(Tag(**{f: str(entry[f] or "") for f in fields}))
    return Taxonomy(version=str(raw["version"]), groups=groups, tags=tuple(tags))
