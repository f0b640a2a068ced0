"""Content packs: the shipped library loads; broken packs name file:line:field for every error."""
from __future__ import annotations

import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from bot import content
from bot.cli import main
from bot.content import CATEGORIES, ContentError

FIXTURE = Path(__file__).parents[1] / "fixtures" / "pack"


def test_shipped_library_is_valid(library):
    assert len(library.rubric.dimensions) == 5
    assert [s.id for s in library.frameworks.four_s] == ["scope", "segment", "solve", "score"]
    assert sum(s.minutes for s in library.frameworks.clarity) == 45
    assert {p.category for p in library.prompts} == set(CATEGORIES)
    assert len({p.id for p in library.prompts}) == len(library.prompts)


def test_content_is_found_from_the_installed_package_not_the_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    lib = content.load()
    assert lib.prompts and (content.default_dir() / "rubric.yaml").exists()


def pack(tmp_path: Path, body: str, name: str = "bad.yaml") -> Path:
    root = tmp_path / "pack"
    (root / "prompts").mkdir(parents=True, exist_ok=True)
    (root / "prompts" / name).write_text(textwrap.dedent(body))
    return root


def good_prompt_yaml() -> str:
    doc = yaml.safe_load((FIXTURE / "prompts" / "custom.yaml").read_text())
    return yaml.safe_dump({"prompts": [doc["prompts"][0]]}, sort_keys=False)


def problems(root: Path) -> list[content.Problem]:
    with pytest.raises(ContentError) as exc:
        content.load([root])
    return exc.value.problems


def test_custom_pack_adds_prompts(tmp_path):
    root = pack(tmp_path, good_prompt_yaml())
    lib = content.load([root])
    assert lib.prompt("custom-sms-delivery-visibility") is not None


def test_unknown_key_names_file_line_and_field(tmp_path):
    body = good_prompt_yaml().replace("  difficulty: medium\n", "  difficulty: medium\n  dificulty: hard\n")
    found = problems(pack(tmp_path, body))
    line = body.splitlines().index("  dificulty: hard") + 1
    assert any(p.file.endswith("prompts/bad.yaml") and p.line == line and p.field.endswith(".dificulty")
               and "unknown key" in p.message for p in found), found


def test_missing_field_bad_category_and_duplicate_id(tmp_path):
    body = good_prompt_yaml().replace("  category: improve\n", "  category: brainstorm\n").replace("  time_box_minutes: 20\n", "")
    root = pack(tmp_path, body)
    (root / "prompts" / "dup.yaml").write_text(good_prompt_yaml())
    text = "\n".join(str(p) for p in problems(root))
    assert "time_box_minutes: is missing" in text
    assert "'brainstorm' is not one of improve, design, prioritize" in text
    assert "'custom-sms-delivery-visibility' is already used at" in text
    assert all(p.line > 0 for p in problems(root))


def test_weights_not_summing_to_100(tmp_path):
    root = tmp_path / "pack"
    root.mkdir()
    rubric = (FIXTURE / "rubric.yaml").read_text().replace("weight: 15", "weight: 10")
    (root / "rubric.yaml").write_text(rubric)
    found = problems(root)
    assert any("weights sum to 95; they must sum to 100" in p.message and p.line > 0 for p in found)


def test_unsafe_tags_are_refused(tmp_path):
    root = pack(tmp_path, "prompts: !!python/object/apply:os.system ['echo pwned']\n")
    found = problems(root)
    assert any("tag" in p.message and p.line == 1 for p in found)


def test_alias_bombs_and_huge_files_are_refused(tmp_path):
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: [*b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
    found = problems(pack(tmp_path, bomb))
    assert any("aliases" in p.message and p.line == 2 for p in found)
    huge = pack(tmp_path, "", name="huge.yaml")
    (huge / "prompts" / "huge.yaml").write_text("# " + "x" * (content.MAX_FILE_BYTES + 10))
    assert any("limited to" in p.message for p in problems(huge))


def test_malformed_yaml_names_the_line(tmp_path):
    found = problems(pack(tmp_path, "prompts:\n  - id: x\n    title: [unclosed\n"))
    assert any(p.field == "yaml" and p.line >= 3 for p in found)


def test_content_check_command_exits_nonzero_and_prints_every_problem(tmp_path, capsys):
    body = good_prompt_yaml().replace("  area: messaging\n", "  area: carrier-pigeons\n")
    root = pack(tmp_path, body)
    assert main(["content", "check", str(root)]) == 1
    err = capsys.readouterr().err
    assert "prompts/bad.yaml:" in err and "carrier-pigeons" in err and "1 problem found" in err
    assert main(["content", "check"]) == 0
    assert "OK:" in capsys.readouterr().out


def test_content_stats_counts_and_flags_near_duplicates(tmp_path, capsys):
    root = tmp_path / "pack"
    (root / "prompts").mkdir(parents=True)
    shutil.copy(FIXTURE / "prompts" / "custom.yaml", root / "prompts" / "a.yaml")
    twin = (FIXTURE / "prompts" / "custom.yaml").read_text().replace("id: custom-", "id: twin-")
    (root / "prompts" / "b.yaml").write_text(twin)
    assert main(["content", "stats", str(root)]) == 0
    out = capsys.readouterr().out
    assert "By category" in out and "By area" in out and "By persona" in out
    assert "custom-sms-delivery-visibility  ~  twin-sms-delivery-visibility" in out or \
           "twin-sms-delivery-visibility  ~  custom-sms-delivery-visibility" in out
