"""Content packs: the shipped library loads; broken packs name file:line:field for every error."""
from __future__ import annotations

import copy
import shutil
import textwrap
from pathlib import Path

import pytest
import yaml

from bot import content
from bot.cli import main
from bot.content import CATEGORIES, DEFAULT_FAMILIES, ContentError

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
    assert "By family" in out and "Families by area" in out and "By area" in out and "By persona" in out
    assert "custom-sms-delivery-visibility  ~  twin-sms-delivery-visibility" in out or \
           "twin-sms-delivery-visibility  ~  custom-sms-delivery-visibility" in out


def lint_pack(tmp_path: Path, body: str) -> list:
    from bot.content_lint import lint
    return [f for f in lint(content.load([pack(tmp_path, body)])) if f.file.startswith("pack/")]


def test_lint_names_file_line_for_score_parts_recommendation_and_choice(tmp_path):
    body = good_prompt_yaml().replace("  category: improve\n", "  category: prioritize\n")
    found = lint_pack(tmp_path, body)
    text = "\n".join(map(str, found))
    lines = body.splitlines()
    kpis_line = lines.index("    kpis:") + 1
    assert f"prompts/bad.yaml:{kpis_line}: warning: custom-sms-delivery-visibility.outline.kpis: the Score lacks " \
           "a baseline (or how to get one) and a guardrail" in text
    assert "outline.recommendation: the outline should end with a recommendation and the first step" in text
    assert "outline.decision: a prioritize outline needs one choice" in text


def test_lint_is_quiet_on_a_complete_answer(tmp_path):
    body = good_prompt_yaml().replace(
        "      target: down 30% in 6 months\n",
        "      target: down 30% in 6 months\n      baseline: about 400 a month today\n"
        "    - metric: Delivery rate\n      target: no drop while the webhook ships\n      guardrail: true\n"
        "    recommendation: Ship reason codes first; first step, map the top ten carrier errors this week.\n")
    assert lint_pack(tmp_path, body) == []


def test_lint_reports_a_phrase_used_in_over_a_quarter_of_a_packs_outlines_with_its_share(tmp_path):
    doc = yaml.safe_load(good_prompt_yaml())
    cases = []
    for i in range(8):
        c = copy.deepcopy(doc["prompts"][0])
        c["id"] = f"case-{i}"
        if i >= 3:  # 3 of 8 keep the template phrase "2 quarters" (37%); none keep HMAC
            c["outline"]["kpis"][0]["target"] = f"under {i} minutes by the end of Q{i % 4 + 1}"
        c["outline"]["api"]["notes"] = "Webhooks are signed."
        cases.append(c)
    found = [f for f in lint_pack(tmp_path, yaml.safe_dump({"prompts": cases}, sort_keys=False)) if "phrase" in f.field]
    assert len(found) == 1 and "'2 quarters'" in found[0].field, found
    assert "appears in 3 of 8 outlines (38%)" in found[0].message and found[0].line > 0


def test_content_check_prints_warnings_and_fails_only_when_strict(tmp_path, capsys):
    root = pack(tmp_path, good_prompt_yaml())
    assert main(["content", "check", str(root)]) == 0
    err = capsys.readouterr().err
    assert "prompts/bad.yaml:" in err and "warning:" in err and "--strict" in err
    assert main(["content", "check", "--strict", str(root)]) == 1


def test_readme_shows_a_complete_shipped_case_of_each_new_family():
    """content/README.md's examples are real cases, copied whole, so they cannot drift from the packs."""
    import re
    readme = (content.default_dir() / "README.md").read_text()
    shipped = {c["id"]: c for f in (content.default_dir() / "prompts").glob("*.yaml")
               for c in yaml.safe_load(f.read_text())["prompts"]}
    shown = {}
    for block in re.findall(r"```yaml\n(prompts:\n  - id: .*?)```", readme, re.S):
        if "..." not in block:
            case = yaml.safe_load(block)["prompts"][0]
            assert case == shipped[case["id"]], case["id"]
            shown[case["category"]] = case["id"]
    assert set(shown) >= {"diagnose", "metrics", "strategy", "launch", "platform", "critique"}, shown
