"""The printed table, the goal checks, and the scenarios and goals of the ``--json`` document."""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks import document
from benchmarks.runner import SCENARIO_LABELS, SCENARIOS, Measurement

# Goals: lorchestra's time as a multiple of the floor's, per scenario (issue 21: an unchanged
# re-load within 1.1x).
FLOOR_LIMITS = {"first": 2.0, "reload": 1.1, "halfnew": 2.0}
MEMORY_GROWTH_LIMIT = 1.25  # peak at N over peak at N/2, when N/2 spans at least 2 batches
LARGE_PEAK_LIMIT_MB = 1024.0  # the large first load's peak RSS: under 1 GiB
LARGE_RATE_LIMIT = 1 / 0.9  # first-load records/s at N over at the large size: within 10%


@dataclass
class Goal:
    name: str
    status: str  # PASS, MISS or SKIP
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name}: {self.detail}"


def find(results: list[Measurement], engine: str, scenario: str) -> Measurement | None:
    for measurement in results:
        if measurement.engine == engine and measurement.scenario == scenario:
            return measurement
    return None


def _ok(measurement: Measurement | None) -> bool:
    return measurement is not None and measurement.error is None and bool(measurement.seconds)


def table(results: list[Measurement]) -> str:
    header = (
        "engine",
        "scenario",
        "records",
        "batch",
        "wall s",
        "records/s",
        "x floor",
        "peak MB",
        "start MB",
        "ins/upd/same",
        "rows",
    )
    rows: list[tuple[str, ...]] = [header]
    for m in results:
        floor = find(results, "floor", m.scenario)
        ratio = (
            f"{m.seconds / floor.seconds:.2f}"
            if floor is not None and _ok(floor) and _ok(m) and m.seconds and floor.seconds
            else "-"
        )
        counts = (
            f"{m.counts.get('inserted', 0)}/{m.counts.get('updated', 0)}/"
            f"{m.counts.get('unchanged', 0)}"
            if m.counts
            else "-"
        )
        if m.error:
            rows.append((m.engine, SCENARIO_LABELS[m.scenario], "ERROR: " + m.error))
            continue
        rows.append(
            (
                m.engine,
                SCENARIO_LABELS[m.scenario],
                f"{m.records:,}",
                f"{m.batch_size:,}" if m.batch_size else "-",
                f"{m.seconds:.2f}" if m.seconds is not None else "-",
                f"{m.rate:,.0f}" if m.rate else "-",
                ratio,
                f"{m.peak_mb:,.0f}" if m.peak_mb is not None else "-",
                f"{m.start_mb:,.0f}" if m.start_mb is not None else "-",
                counts,
                f"{m.rows_after:,}" if m.rows_after is not None else "-",
            )
        )
    widths = [max(len(r[i]) for r in rows if len(r) == len(header)) for i in range(len(header))]
    lines = []
    for number, row in enumerate(rows):
        if len(row) != len(header):
            lines.append("  ".join(row))
            continue
        cells = [
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def goals(results: list[Measurement], records: int) -> list[Goal]:
    out: list[Goal] = []
    for scenario in SCENARIOS:
        limit = FLOOR_LIMITS[scenario]
        ours, floor = find(results, "lorchestra", scenario), find(results, "floor", scenario)
        name = f"{SCENARIO_LABELS[scenario]} within {limit:g}x of the floor"
        if ours is None or floor is None or not (_ok(ours) and _ok(floor)):
            out.append(Goal(name, "SKIP", "a measurement is missing"))
            continue
        assert ours.seconds and floor.seconds
        ratio = ours.seconds / floor.seconds
        status = "PASS" if ratio <= limit else "MISS"
        detail = f"{ratio:.2f}x ({ours.seconds:.2f} s vs {floor.seconds:.2f} s)"
        out.append(Goal(name, status, detail))
    for scenario in SCENARIOS:
        ours, peer = find(results, "lorchestra", scenario), find(results, "dlt", scenario)
        name = f"{SCENARIO_LABELS[scenario]} faster than dlt"
        if ours is None or peer is None or not (_ok(ours) and _ok(peer)):
            why = peer.error if peer is not None and peer.error else "dlt was not measured"
            out.append(Goal(name, "SKIP", why))
            continue
        assert ours.seconds and peer.seconds
        status = "PASS" if ours.seconds < peer.seconds else "MISS"
        detail = (
            f"{peer.seconds / ours.seconds:.1f}x faster "
            f"({ours.seconds:.2f} s vs {peer.seconds:.2f} s)"
            if status == "PASS"
            else f"{ours.seconds / peer.seconds:.1f}x slower ({ours.seconds:.2f} s vs "
            f"{peer.seconds:.2f} s)"
        )
        out.append(Goal(name, status, detail))
    out.append(_memory_goal(results, records))
    return out


def _memory_goal(results: list[Measurement], records: int) -> Goal:
    name = "lorchestra peak memory bounded by the batch, not the input"
    full, half = find(results, "lorchestra", "first"), find(results, "lorchestra", "first_half")
    if full is None or half is None or full.peak_mb is None or half.peak_mb is None:
        return Goal(name, "SKIP", "peak memory was not measured")
    growth = full.peak_mb / half.peak_mb
    detail = (
        f"peak {half.peak_mb:,.0f} MB at {half.records:,} records, {full.peak_mb:,.0f} MB at "
        f"{full.records:,} ({growth:.2f}x for 2x the records; limit {MEMORY_GROWTH_LIMIT:g}x)"
    )
    batch = full.batch_size or 0
    if records // 2 < 2 * batch:
        return Goal(
            name, "SKIP", detail + f"; inconclusive: N/2 spans fewer than 2 batches of {batch:,}"
        )
    return Goal(name, "PASS" if growth <= MEMORY_GROWTH_LIMIT else "MISS", detail)


def large_name(records: int) -> str:
    """The stable scenario name of the large first load (``upsert 1M`` at a million)."""
    return "upsert 1M" if records == 1_000_000 else f"upsert {records:,}"


def large_goals(results: list[Measurement], large: Measurement | None) -> list[Goal]:
    """The large first load: peak memory under 1 GiB, records/s within 10% of N's."""
    if large is None:
        return []
    name = large_name(large.records or 0)
    if not _ok(large) or large.peak_mb is None:
        return [Goal(f"{name}", "SKIP", large.error or "not measured")]
    out = [
        Goal(
            f"{name} peak memory under {LARGE_PEAK_LIMIT_MB:,.0f} MB",
            "PASS" if large.peak_mb < LARGE_PEAK_LIMIT_MB else "MISS",
            f"{large.peak_mb:,.0f} MB",
        )
    ]
    first = find(results, "lorchestra", "first")
    if first is not None and first.rate and large.rate:
        ratio = first.rate / large.rate
        out.append(
            Goal(
                f"{name} throughput within 10% of the first load's",
                "PASS" if ratio <= LARGE_RATE_LIMIT else "MISS",
                f"{large.rate:,.0f} vs {first.rate:,.0f} records/s (ratio {ratio:.2f}, limit "
                f"{LARGE_RATE_LIMIT:.2f})",
            )
        )
    return out


def scenario_name(measurement: Measurement) -> str:
    if measurement.scenario == "large":
        return large_name(measurement.records)
    return f"{measurement.engine} {SCENARIO_LABELS[measurement.scenario]}"


def document_results(
    results: list[Measurement], large: Measurement | None, records: int
) -> document.Results:
    """The ``--json`` document's scenarios and numeric goals (the printed lines' figures)."""
    out = document.Results()
    for m in [*results, *([large] if large is not None else [])]:
        if _ok(m) and m.seconds is not None:
            out.add(document.Scenario(scenario_name(m), m.records, m.seconds, m.peak_mb))
    for scenario in SCENARIOS:
        ours, floor = find(results, "lorchestra", scenario), find(results, "floor", scenario)
        if ours is not None and floor is not None and _ok(ours) and _ok(floor):
            assert ours.seconds and floor.seconds
            out.goal(
                f"{SCENARIO_LABELS[scenario]} within {FLOOR_LIMITS[scenario]:g}x of the floor "
                "(ratio)",
                ours.seconds / floor.seconds,
                FLOOR_LIMITS[scenario],
            )
        peer = find(results, "dlt", scenario)
        if ours is not None and peer is not None and _ok(ours) and _ok(peer):
            assert ours.seconds and peer.seconds
            out.goal(
                f"{SCENARIO_LABELS[scenario]} faster than dlt (ratio)",
                ours.seconds / peer.seconds,
                1.0,
            )
    full, half = find(results, "lorchestra", "first"), find(results, "lorchestra", "first_half")
    batch = (full.batch_size or 0) if full is not None else 0
    if full and half and full.peak_mb and half.peak_mb and records // 2 >= 2 * batch:
        out.goal(
            "lorchestra peak memory growth for 2x the records (ratio)",
            full.peak_mb / half.peak_mb,
            MEMORY_GROWTH_LIMIT,
        )
    if large is not None and _ok(large) and large.peak_mb is not None:
        name = large_name(large.records)
        out.goal(f"{name} peak memory (MB)", large.peak_mb, LARGE_PEAK_LIMIT_MB)
        if full is not None and full.rate and large.rate:
            out.goal(
                f"{name} records/s, first load's over its own (ratio)",
                full.rate / large.rate,
                round(LARGE_RATE_LIMIT, 3),
            )
    return out
