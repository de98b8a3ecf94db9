"""Partitioned dedupe (issue #10): pairs scored in n partitions and merged give exactly the in-process result."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from enrichment.dedupe import (
    DedupeConfig,
    fellegi_sunter,
    fit_model,
    prepare,
    resolve,
    resolve_from_partitions,
)
from enrichment.dedupe.matching import candidates
from enrichment.dedupe.partition import in_partition, score_partition

EMPTY = pd.DataFrame(columns=["person_id", "email", "first_name", "last_name", "company_key", "record",
                              "provenance"])


@pytest.fixture(scope="module")
def leads(tmp_path_factory: pytest.TempPathFactory) -> pd.DataFrame:
    """Demo leads (with duplicates, typos, households), mapped and normalised: enough rows for EM to train."""
    from connectors.sources.presets import PRESETS
    from enrichment.normalise import normalise_frame
    from leadpipe.demo.generator import generate

    files = generate(tmp_path_factory.mktemp("leads"), people=1800, seed=5)
    frames = []
    for path, preset in ((files.apollo, "apollo"), (files.zoominfo, "zoominfo"), (files.web_forms, "web_form")):
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        mapped = pd.DataFrame({f: raw[h] for f, h in PRESETS[preset].items() if h in raw.columns})
        mapped["source"], mapped["source_file"] = preset, Path(path).name
        mapped["source_row"] = np.arange(1, len(raw) + 1)
        frames.append(mapped)
    norm = normalise_frame(pd.concat(frames, ignore_index=True))
    return norm.assign(raw_row_id=np.arange(1, len(norm) + 1))


def _partitioned(batch: pd.DataFrame, existing: pd.DataFrame, cfg: DedupeConfig, n: int, out: Path, model=None):
    p = prepare(batch, existing)
    model = fit_model(p, cfg, model)
    paths = [score_partition(p.features, cfg, p.is_old, k, n, out / f"pairs_{k}.parquet") for k in range(n)]
    return resolve_from_partitions(p, cfg, model, paths), paths


def _as_people(base) -> pd.DataFrame:
    """A resolution's golden records as the warehouse hands them to the next run."""
    return pd.DataFrame([
        {"person_id": pid, "email": rec.get("email"), "first_name": rec.get("first_name"),
         "last_name": rec.get("last_name"), "company_key": rec.get("company_key"), "record": rec,
         "provenance": base.provenance[pid]} for pid, rec in base.golden.items()])


def _same(a, b) -> None:
    ma = a.membership.sort_values("raw_row_id").reset_index(drop=True)
    mb = b.membership.sort_values("raw_row_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(ma, mb)
    assert a.golden == b.golden
    assert a.provenance == b.provenance
    assert a.primary == b.primary
    assert a.new_people == b.new_people


def test_three_partitions_give_the_same_people_as_one_run(leads: pd.DataFrame, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    # a small EM sample, so the hash-chosen training sample is exercised too (it must not depend on partitions)
    monkeypatch.setattr(fellegi_sunter, "EM_PAIRS", 800)
    cfg = DedupeConfig()
    whole = resolve(leads, EMPTY, cfg)
    assert whole.stats["trained"]
    assert len(whole.golden) < len(leads) - 100  # the data has duplicates to merge
    split, paths = _partitioned(leads, EMPTY, cfg, 3, tmp_path)
    _same(whole, split)
    sizes = [len(pd.read_parquet(p)) for p in paths]
    assert min(sizes) > 0 and sum(sizes) == whole.stats["candidate_pairs"]


def test_partitions_are_disjoint_and_cover_every_pair(leads: pd.DataFrame) -> None:
    p = prepare(leads, EMPTY)
    left, right, _ = candidates(p.features, DedupeConfig(), p.is_old)
    owner = np.stack([in_partition(left, right, k, 4) for k in range(4)])
    assert (owner.sum(axis=0) == 1).all()
    with pytest.raises(ValueError):
        in_partition(left, right, 4, 4)


def test_incremental_partitioned_run_keeps_existing_ids(leads: pd.DataFrame, tmp_path: Path) -> None:
    cfg = DedupeConfig()
    first, later = leads.iloc[: len(leads) - 400], leads.iloc[len(leads) - 400:]
    base = resolve(first, EMPTY, cfg)
    existing = _as_people(base)
    model = base.stats["model"]
    whole = resolve(later, existing, cfg, model)
    split, _ = _partitioned(later, existing, cfg, 3, tmp_path, model)
    _same(whole, split)
    assert set(split.golden) - split.new_people  # some new rows joined people of the first run


def test_a_missing_partition_is_an_error_not_a_different_result(leads: pd.DataFrame, tmp_path: Path) -> None:
    cfg = DedupeConfig()
    p = prepare(leads, EMPTY)
    model = fit_model(p, cfg)
    paths = [score_partition(p.features, cfg, p.is_old, k, 3, tmp_path / f"{k}.parquet") for k in range(3)]
    with pytest.raises(ValueError, match="every partition"):
        resolve_from_partitions(p, cfg, model, paths[:2])


def test_threads_and_slices_do_not_change_the_result(leads: pd.DataFrame, monkeypatch: pytest.MonkeyPatch) -> None:
    """The matcher spreads features, blocking passes, comparisons and scores over threads: one thread and
    three threads over many small slices must decide exactly the same, in one go and incrementally."""
    from enrichment.dedupe import parallel

    cfg = DedupeConfig()
    half = len(leads) // 2
    monkeypatch.setenv("LEADPIPE_DEDUPE_THREADS", "1")
    one = resolve(leads, EMPTY, cfg)
    first_half = resolve(leads.iloc[:half], EMPTY, cfg)
    assert len(parallel.slices(one.stats["candidate_pairs"])) == 1
    monkeypatch.setenv("LEADPIPE_DEDUPE_THREADS", "3")
    monkeypatch.setattr(parallel, "MIN_SLICE", 100)
    assert len(parallel.slices(one.stats["candidate_pairs"])) == 3
    spread = resolve(leads, EMPTY, cfg)
    _same(one, spread)
    assert one.evidence == spread.evidence
    assert one.stats["pairs_per_pass"] == spread.stats["pairs_per_pass"]
    # incremental: the second half against the people of the first, with one thread and with three
    existing = _as_people(first_half)
    monkeypatch.setenv("LEADPIPE_DEDUPE_THREADS", "1")
    inc_one = resolve(leads.iloc[half:], existing, cfg)
    monkeypatch.setenv("LEADPIPE_DEDUPE_THREADS", "3")
    _same(inc_one, resolve(leads.iloc[half:], existing, cfg))
    assert inc_one.stats["candidate_pairs"] > 0


def test_thread_setting_must_be_a_number(monkeypatch: pytest.MonkeyPatch) -> None:
    from enrichment.dedupe import parallel

    monkeypatch.setenv("LEADPIPE_DEDUPE_THREADS", "two")
    with pytest.raises(ValueError, match="LEADPIPE_DEDUPE_THREADS must be a whole number"):
        parallel.threads()


def test_the_merge_checks_the_partitions_without_rerunning_the_blocking(leads: pd.DataFrame, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Each partition records k, n and the batch's pair total, so the merge needs no second blocking pass
    (at 1M rows, seconds of the merge) and still refuses a doubled or missing partition."""
    from enrichment.dedupe import partition

    cfg = DedupeConfig()
    whole = resolve(leads, EMPTY, cfg)
    p = prepare(leads, EMPTY)
    model = fit_model(p, cfg)
    paths = [score_partition(p.features, cfg, p.is_old, k, 3, tmp_path / f"{k}.parquet") for k in range(3)]

    def no_blocking(*_args, **_kwargs):
        raise AssertionError("the merge reran the blocking")

    monkeypatch.setattr(partition, "candidates", no_blocking)
    with pytest.raises(ValueError, match="every partition"):
        resolve_from_partitions(prepare(leads, EMPTY), cfg, model, [paths[0], paths[0], paths[2]])
    with pytest.raises(ValueError, match="every partition"):
        resolve_from_partitions(prepare(leads, EMPTY), cfg, model, paths[1:])
    _same(whole, resolve_from_partitions(p, cfg, model, paths))


def test_features_saved_by_the_plan_give_the_same_people(leads: pd.DataFrame, tmp_path: Path) -> None:
    """The stage builds the matching features once (dedupe_plan) and the workers and the merge read them back:
    every field's codes and distinct values come back equal, and scoring and merging with them decides
    exactly what an in-process run decides, incrementally too."""
    from leadpipe.pipeline.dedupe import read_features, write_features

    cfg = DedupeConfig()
    first, later = leads.iloc[: len(leads) - 400], leads.iloc[len(leads) - 400:]
    existing = _as_people(resolve(first, EMPTY, cfg))
    for batch, people, folder in ((leads, EMPTY, tmp_path / "full"), (later, existing, tmp_path / "inc")):
        built = prepare(batch, people).features
        write_features(folder, built)
        back = read_features(folder)
        assert list(back.arrow) == list(built.arrow)
        for name, (codes, uniques) in built.arrow.items():
            assert np.array_equal(back.arrow[name][0], codes) and back.arrow[name][0].dtype == codes.dtype
            assert back.arrow[name][1].to_pylist() == uniques.to_pylist()
        for k in ("email_role", "fn_lo", "fn_hi"):
            assert np.array_equal(getattr(back, k), getattr(built, k))
        model = fit_model(prepare(batch, people), cfg)
        p = prepare(batch, people, read_features(folder))
        paths = [score_partition(p.features, cfg, p.is_old, k, 2, folder / f"pairs_{k}.parquet") for k in range(2)]
        whole = resolve(batch, people, cfg, model)
        split = resolve_from_partitions(prepare(batch, people, read_features(folder)), cfg, model, paths)
        _same(whole, split)
        assert whole.evidence == split.evidence
    with pytest.raises(ValueError, match="another plan"):
        prepare(later, existing, read_features(tmp_path / "full"))


def test_the_saved_plan_gives_the_same_people_without_sorting_again(leads: pd.DataFrame, tmp_path: Path) -> None:
    """dedupe_plan saves the batch in lineage order and the candidate counts; the scoring workers read only
    the counts and the features, the merge skips the sort. Both must decide what a run that sorts the
    shuffled batch itself decides; a plan saved by an older version (batch by raw_row_id, no counts) is
    still read right."""
    import json

    from leadpipe.pipeline.dedupe import (
        plan_in_lineage_order,
        plan_sizes,
        read_features,
        read_plan,
        write_features,
        write_plan,
    )

    cfg = DedupeConfig()
    first, later = leads.iloc[: len(leads) - 400], leads.iloc[len(leads) - 400:]
    existing = _as_people(resolve(first, EMPTY, cfg))
    shuffled = later.sample(frac=1.0, random_state=7)
    p = prepare(shuffled, existing)
    model = fit_model(p, cfg)
    folder = tmp_path / "plan"
    write_features(folder, p.features)
    write_plan(folder, p.batch, existing, model, 2)
    assert plan_sizes(folder) == (len(existing), len(later), 2)
    assert plan_in_lineage_order(folder)
    batch, people, model, _ = read_plan(folder)
    again = prepare(batch, people, read_features(folder), ordered=True)
    assert again.batch["raw_row_id"].tolist() == p.batch["raw_row_id"].tolist()
    is_old = np.r_[np.ones(len(existing), bool), np.zeros(len(later), bool)]
    assert np.array_equal(is_old, p.is_old)
    paths = [score_partition(read_features(folder), cfg, is_old, k, 2, folder / f"pairs_{k}.parquet")
             for k in range(2)]
    split = resolve_from_partitions(again, cfg, model, paths)
    whole = resolve(later, existing, cfg, model)
    _same(whole, split)
    assert whole.evidence == split.evidence
    plan = json.loads((folder / "plan.json").read_text())
    del plan["batch_rows"], plan["existing_rows"]  # as an older version wrote it
    (folder / "plan.json").write_text(json.dumps(plan))
    assert plan_sizes(folder) == (len(existing), len(later), 2)
    assert not plan_in_lineage_order(folder)


@pytest.mark.parametrize("incremental", [False, True])
def test_pairs_found_once_by_the_plan_are_what_each_worker_would_find(leads: pd.DataFrame, tmp_path: Path,
                                                                      incremental: bool) -> None:
    """dedupe_plan runs the blocking once and saves each partition's pairs; a worker scoring them writes the
    very file it writes when it runs the blocking itself. A saved file for another partition count or
    another batch is not used (the worker finds its pairs again)."""
    from leadpipe.pipeline.dedupe import read_pairs, write_pairs

    cfg = DedupeConfig()
    if incremental:
        first, batch = leads.iloc[: len(leads) - 400], leads.iloc[len(leads) - 400:]
        existing = _as_people(resolve(first, EMPTY, cfg))
    else:
        batch, existing = leads, EMPTY
    p = prepare(batch, existing)
    left, right, _ = candidates(p.features, cfg, p.is_old)
    write_pairs(tmp_path, left, right, 3, len(p.features))
    for k in range(3):
        saved = read_pairs(tmp_path, k, 3, len(p.features))
        assert saved is not None and saved[2] == len(left)
        own = score_partition(p.features, cfg, p.is_old, k, 3, tmp_path / f"own_{k}.parquet")
        given = score_partition(p.features, cfg, p.is_old, k, 3, tmp_path / f"given_{k}.parquet", saved)
        assert pq.read_table(own).equals(pq.read_table(given))
        assert pq.read_schema(own).metadata == pq.read_schema(given).metadata
    assert read_pairs(tmp_path, 0, 2, len(p.features)) is None  # planned for 3 partitions
    assert read_pairs(tmp_path, 0, 3, len(p.features) + 1) is None  # another batch
    assert read_pairs(tmp_path, 5, 6, len(p.features)) is None  # no file
