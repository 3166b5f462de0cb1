"""The analyst's first hour: five questions over eocexporter's Parquet, answered with DuckDB and pandas.

    pip install 'eocexporter[analysis]'      # pandas, DuckDB and matplotlib
    eocexporter demo                         # writes ./demo-parquet (half an hour of history at once)
    python examples/analysis/walkthrough.py --root demo-parquet --out charts --timezone Europe/Moscow

Each question is one function that takes the Parquet root (and the servers' time zone where local hours
or days matter) and returns a pandas DataFrame; ``main`` prints them and renders one PNG per question.
Every query reads one dataset folder (``<root>/<dataset>``) at a time: the root holds several datasets
with different columns, and a reader pointed at the root itself would mix them. docs/analysis.md walks
through the answers.
"""

from __future__ import annotations

import argparse
import calendar
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import duckdb
import pandas as pd

OBJECT_COUNTS = "object_counts"
VISITOR_REPORTS = "visitor_reports"
CAMERA_STATUS = "camera_status"
LICENSE_USAGE = "license_usage"

AGE_COLUMNS = ("age_young", "age_adult", "age_middle_aged", "age_senior")
GENDER_COLUMNS = ("gender_female", "gender_male")


# ---- reading --------------------------------------------------------------------------------------


def dataset_files(root: str | Path, dataset: str) -> str:
    """The glob of a dataset's data files: every ``date=`` partition, compacted files or not. The
    checkpoints (``_checkpoints``) and temporary files (``.…tmp``) never match it."""
    return str(Path(root) / dataset / "date=*" / "*.parquet")


def has_data(root: str | Path, dataset: str) -> bool:
    return any((Path(root) / dataset).glob("date=*/*.parquet"))


def connect() -> duckdb.DuckDBPyConnection:
    """A DuckDB connection whose timestamps come back in UTC whatever the machine's zone."""
    connection = duckdb.connect()
    connection.execute("SET TimeZone = 'UTC'")
    return connection


def _sql(query: str, **parameters: object) -> pd.DataFrame:
    """Run a query with named parameters ($name) on a fresh connection; the answer as a DataFrame."""
    with connect() as connection:
        return connection.execute(query, parameters).df()


def _latest_names(frame: pd.DataFrame, key: str, columns: Sequence[str], time: str) -> pd.DataFrame:
    """The latest non-null name(s) per id: a renamed camera or zone is shown under its current name."""
    return frame.sort_values(time).groupby(key)[list(columns)].last()


# ---- 1. footfall per hour and weekday per camera (DuckDB) ------------------------------------------

FOOTFALL_SQL = """
WITH people AS (
    SELECT camera_id, camera, interval_start,
           interval_start AT TIME ZONE $timezone AS local_start,  -- the servers' wall clock
           crossings
    FROM read_parquet($files, hive_partitioning = true)
    WHERE object_class = 'Person'
),
names AS (  -- the camera's latest name: names change, ids do not
    SELECT camera_id, arg_max(camera, interval_start) AS camera FROM people GROUP BY camera_id
)
SELECT camera_id, names.camera,
       isodow(local_start) AS weekday,                       -- 1 = Monday ... 7 = Sunday
       hour(local_start) AS hour,
       CAST(sum(crossings) AS BIGINT) AS people,             -- every line of the camera, each crossing
       count(DISTINCT CAST(local_start AS DATE)) AS days     -- how many such weekdays the data holds
FROM people JOIN names USING (camera_id)
GROUP BY ALL
ORDER BY camera_id, weekday, hour
"""


def footfall_by_hour_and_weekday(root: str | Path, timezone: str) -> pd.DataFrame:
    """People crossing each camera's lines per local hour and weekday.

    One row per (camera, weekday, hour) with ``people`` (the sum over the camera's lines and every day
    of that weekday), ``days`` (how many dates of that weekday are in the data) and ``people_per_day``.
    An interval counts in the hour its start falls in: with report intervals of an hour or less, the
    hours add up exactly.
    """
    frame = _sql(FOOTFALL_SQL, files=dataset_files(root, OBJECT_COUNTS), timezone=timezone)
    frame["weekday_name"] = frame["weekday"].map(dict(enumerate(calendar.day_abbr, start=1)))
    frame["people_per_day"] = frame["people"] / frame["days"]
    return frame[
        ["camera_id", "camera", "weekday", "weekday_name", "hour", "people", "days", "people_per_day"]
    ]


# ---- 2. peak per zone (pandas) -------------------------------------------------------------------


def peak_hour_per_zone(root: str | Path, timezone: str) -> pd.DataFrame:
    """The busiest local hour of each counting line, per object class.

    The object counting report covers lines only (the objects crossing each line): an area's occupancy
    is a live gauge on /metrics (``eocortex_object_counting_zone_objects``), not in the files. What the
    files answer for every zone is its peak flow: ``peak_crossings`` in ``peak_hour`` (local, the first
    such hour on a tie), beside ``hours`` with data and the ``mean_per_hour`` over them.
    """
    frame = pd.read_parquet(
        Path(root) / OBJECT_COUNTS,
        columns=["interval_start", "camera_id", "camera", "zone_id", "zone", "object_class", "crossings"],
    )
    # Local wall-clock hours: convert, drop the zone (a repeated autumn hour becomes one), then floor.
    frame["hour"] = frame["interval_start"].dt.tz_convert(timezone).dt.tz_localize(None).dt.floor("h")
    key = ["camera_id", "zone_id", "object_class"]
    hourly = (
        frame.groupby([*key, "hour"], as_index=False)["crossings"]
        .sum()
        .sort_values([*key, "hour"], ignore_index=True)
    )
    grouped = hourly.groupby(key)
    peaks = hourly.loc[grouped["crossings"].idxmax()].set_index(key)
    result = pd.DataFrame(
        {
            "peak_hour": peaks["hour"],
            "peak_crossings": peaks["crossings"].astype("int64"),
            "hours": grouped.size(),
            "mean_per_hour": grouped["crossings"].mean(),
        }
    ).reset_index()
    names = _latest_names(frame, "zone_id", ["camera", "zone"], "interval_start")
    result = result.join(names, on="zone_id")
    columns = ["camera_id", "camera", "zone_id", "zone", "object_class", "peak_hour", "peak_crossings"]
    return result[[*columns, "hours", "mean_per_hour"]].sort_values(
        ["object_class", "peak_crossings"], ascending=[True, False], ignore_index=True
    )


# ---- 3. visitors by age and gender per day (DuckDB) ------------------------------------------------

VISITORS_SQL = """
SELECT CAST(interval_start AT TIME ZONE $timezone AS DATE) AS day,  -- the servers' local day
       count(DISTINCT camera_id) AS cameras,
       CAST(sum(total_visitors) AS BIGINT) AS total_visitors,
       CAST(sum(gender_female) AS BIGINT) AS gender_female,
       CAST(sum(gender_male) AS BIGINT) AS gender_male,
       CAST(sum(age_young) AS BIGINT) AS age_young,
       CAST(sum(age_adult) AS BIGINT) AS age_adult,
       CAST(sum(age_middle_aged) AS BIGINT) AS age_middle_aged,
       CAST(sum(age_senior) AS BIGINT) AS age_senior
FROM read_parquet($files, hive_partitioning = true)
GROUP BY day
ORDER BY day
"""


def visitors_by_age_and_gender(root: str | Path, timezone: str) -> pd.DataFrame:
    """Visitors per local day over every visitor camera, by gender and age group.

    The breakdowns are as the server reports them (over all visits or over unique visitors, depending
    on the server; docs/parquet.md); ``total_visitors`` is every visit. Unique visitors are left out on
    purpose: the report's count is unique within an interval, so a day's sum overstates the day's own.
    """
    frame = _sql(VISITORS_SQL, files=dataset_files(root, VISITOR_REPORTS), timezone=timezone)
    frame["day"] = pd.to_datetime(frame["day"]).dt.date
    return frame


# ---- 4. cameras recording below what they receive (pandas) --------------------------------------


def recording_below_receive(root: str | Path, tolerance: float = 0.05) -> pd.DataFrame:
    """Cameras whose recording rate fell below their received main stream in some snapshot.

    A snapshot counts as ``below`` when ``write_mbps < receive_main_mbps * (1 - tolerance)``: the
    archive records the main stream, so a camera that records all it receives writes about what it
    receives. Disabled cameras, and snapshots without a status or a rate, are left out; a camera without
    video (``ErrorMain``: both rates 0) is not below. Cameras recording on motion only are below by
    design in most snapshots; ``share_below`` near 1 is a camera that does not record at all.
    """
    frame = pd.read_parquet(
        Path(root) / CAMERA_STATUS,
        columns=["ts", "camera_id", "camera", "status", "receive_main_mbps", "write_mbps", "disabled"],
    )
    disabled = frame["disabled"].eq(True).fillna(False).astype(bool)
    usable = frame["status"].notna() & frame["receive_main_mbps"].notna() & frame["write_mbps"].notna()
    polled = frame[usable & ~disabled].copy()
    polled["below"] = polled["write_mbps"] < polled["receive_main_mbps"] * (1 - tolerance)
    polled["below_ts"] = polled["ts"].where(polled["below"])
    grouped = polled.groupby("camera_id")
    result = pd.DataFrame(
        {
            "snapshots": grouped.size(),
            "below": grouped["below"].sum().astype("int64"),
            "receive_mbps": grouped["receive_main_mbps"].mean(),
            "write_mbps": grouped["write_mbps"].mean(),
            "first_below": grouped["below_ts"].min(),
            "last_below": grouped["below_ts"].max(),
        }
    )
    result["share_below"] = result["below"] / result["snapshots"]
    result = result[result["below"] > 0].join(_latest_names(frame, "camera_id", ["camera"], "ts"))
    columns = ["camera", "snapshots", "below", "share_below", "receive_mbps", "write_mbps"]
    return (
        result[[*columns, "first_below", "last_below"]]
        .reset_index()
        .sort_values(["share_below", "camera_id"], ascending=[False, True], ignore_index=True)
    )


# ---- 5. licence headroom over time (DuckDB) --------------------------------------------------------

HEADROOM_SQL = """
-- Used and Total are the installation's (every server reports the same): one value per snapshot,
-- whichever servers answered. used_on_server splits the use per server.
SELECT target, ts, module,
       max(used) AS used,
       max("limit") AS "limit",
       max("limit") - max(used) AS headroom                  -- below 0: more in use than licensed
FROM read_parquet($files, hive_partitioning = true)
GROUP BY target, ts, module
HAVING max("limit") > 0 OR max(used) > 0                     -- modules licensed or in use
ORDER BY target, module, ts
"""


def licence_headroom(root: str | Path) -> pd.DataFrame:
    """Per licence snapshot and module: channels used, the licence's limit, and the headroom between."""
    return _sql(HEADROOM_SQL, files=dataset_files(root, LICENSE_USAGE))


# ---- charts ---------------------------------------------------------------------------------------


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display
    import matplotlib.pyplot as plt

    return plt


def _label(text: object) -> str:
    """A name as one line of a chart (camera names may hold newlines)."""
    return " ".join(str(text).split())


def _save(figure, path: Path) -> Path:
    figure.tight_layout()
    figure.savefig(path, dpi=80)
    _pyplot().close(figure)
    return path


def plot_footfall(frame: pd.DataFrame, path: Path) -> Path:
    """Left: people per day over all cameras, weekday by hour; right: the busiest cameras' hours."""
    plt = _pyplot()
    figure, (heat, lines) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [3, 2]})
    grid = frame.pivot_table(index="weekday", columns="hour", values="people_per_day", aggfunc="sum")
    grid = grid.reindex(columns=range(24))
    image = heat.imshow(grid.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    heat.set_yticks(range(len(grid.index)), [calendar.day_abbr[day - 1] for day in grid.index])
    heat.set_xticks(range(0, 24, 3), [f"{hour:02d}" for hour in range(0, 24, 3)])
    heat.set_xlabel("local hour")
    heat.set_title("People per day, all cameras")
    figure.colorbar(image, ax=heat, label="people")
    busiest = frame.groupby("camera_id")["people"].sum().nlargest(5).index
    names = frame.drop_duplicates("camera_id").set_index("camera_id")["camera"]
    for camera_id in busiest:
        hours = frame[frame["camera_id"] == camera_id].groupby("hour")["people_per_day"].mean()
        lines.plot(hours.index, hours.to_numpy(), marker=".", label=_label(names[camera_id]))
    lines.set_xlabel("local hour")
    lines.set_ylabel("people per day")
    lines.set_title("Busiest cameras, by hour")
    lines.legend(fontsize="small")
    return _save(figure, path)


def plot_peak_per_zone(frame: pd.DataFrame, path: Path, top: int = 12) -> Path:
    plt = _pyplot()
    people = frame[frame["object_class"] == "Person"].head(top).iloc[::-1]
    figure, axes = plt.subplots(figsize=(9, 4.5))
    labels = [
        f"{_label(camera)} / {_label(zone)} ({hour:%a %H:00})"
        for camera, zone, hour in zip(people["camera"], people["zone"], people["peak_hour"], strict=True)
    ]
    axes.barh(labels, people["peak_crossings"], color="tab:blue", label="peak hour")
    axes.barh(labels, people["mean_per_hour"], color="tab:orange", label="mean hour")
    axes.set_xlabel("people crossing the line in one hour")
    axes.set_title("Busiest hour per counting line (people)")
    axes.tick_params(axis="y", labelsize="small")
    axes.legend()
    return _save(figure, path)


def plot_visitors(frame: pd.DataFrame, path: Path) -> Path:
    plt = _pyplot()
    figure, (ages, genders) = plt.subplots(1, 2, figsize=(10, 4))
    days = [f"{day:%a}\n{day:%d %b}" for day in frame["day"]]
    bottom = pd.Series(0, index=frame.index, dtype="float64")
    for column in AGE_COLUMNS:
        label = column.removeprefix("age_").replace("_", " ")
        ages.bar(days, frame[column], bottom=bottom, label=label)
        bottom += frame[column].astype("float64")
    ages.set_title("Visitors per day by age group")
    ages.set_ylim(0, bottom.max() * 1.2)  # room for the legend above the bars
    ages.legend(fontsize="small", loc="upper center", ncol=4)
    width = 0.4
    positions = range(len(days))
    for offset, column in zip((-width / 2, width / 2), GENDER_COLUMNS, strict=True):
        genders.bar(
            [x + offset for x in positions], frame[column], width, label=column.removeprefix("gender_")
        )
    genders.set_xticks(list(positions), days)
    genders.set_title("Visitors per day by gender")
    genders.set_ylim(0, frame[list(GENDER_COLUMNS)].to_numpy().max() * 1.2)
    genders.legend(fontsize="small", loc="upper center", ncol=2)
    return _save(figure, path)


def plot_recording(frame: pd.DataFrame, path: Path, top: int = 15) -> Path:
    plt = _pyplot()
    shown = frame.head(top).iloc[::-1]
    figure, axes = plt.subplots(figsize=(9, 4.5))
    labels = [_label(camera) for camera in shown["camera"]]
    axes.barh(labels, shown["share_below"] * 100, color="tab:red")
    for y, (below, snapshots) in enumerate(zip(shown["below"], shown["snapshots"], strict=True)):
        axes.text(1, y, f"{below}/{snapshots}", va="center", fontsize="small", color="white")
    axes.set_xlim(0, 100)
    axes.set_xlabel("% of status snapshots recording below the received main stream")
    axes.set_title("Cameras recording less than they receive")
    return _save(figure, path)


def plot_headroom(frame: pd.DataFrame, path: Path) -> Path:
    plt = _pyplot()
    figure, axes = plt.subplots(figsize=(10, 4.5))
    several = frame["target"].nunique() > 1
    for (target, module), rows in frame.groupby(["target", "module"]):
        label = f"{target}: {module}" if several else module
        axes.step(rows["ts"], rows["headroom"], where="post", label=label)
    axes.axhline(0, color="black", linewidth=0.8)
    axes.set_ylabel("channels left (limit - used)")
    axes.set_title("Licence headroom over time")
    axes.legend(fontsize="x-small", loc="upper left", bbox_to_anchor=(1.01, 1))
    figure.autofmt_xdate()
    return _save(figure, path)


# ---- the walk-through -----------------------------------------------------------------------------


class Question(NamedTuple):
    title: str
    dataset: str  # the one dataset folder it reads
    ask: Callable[..., pd.DataFrame]
    plot: Callable[[pd.DataFrame, Path], Path]
    chart: str  # the PNG's file name
    local_time: bool = True  # counts in the servers' local hours or days: takes the time zone


QUESTIONS = (
    Question(
        "Footfall per hour and weekday",
        OBJECT_COUNTS,
        footfall_by_hour_and_weekday,
        plot_footfall,
        "footfall.png",
    ),
    Question(
        "Peak hour per zone", OBJECT_COUNTS, peak_hour_per_zone, plot_peak_per_zone, "peak_per_zone.png"
    ),
    Question(
        "Visitors by age and gender per day",
        VISITOR_REPORTS,
        visitors_by_age_and_gender,
        plot_visitors,
        "visitors_by_day.png",
    ),
    Question(
        "Cameras recording below their receive rate",
        CAMERA_STATUS,
        recording_below_receive,
        plot_recording,
        "recording_below_receive.png",
        local_time=False,
    ),
    Question(
        "Licence headroom over time",
        LICENSE_USAGE,
        licence_headroom,
        plot_headroom,
        "licence_headroom.png",
        local_time=False,
    ),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default="demo-parquet", help="the Parquet root (parquet.root)")
    parser.add_argument("--out", default="analysis-charts", help="where to write the PNG charts")
    parser.add_argument(
        "--timezone",
        default="Europe/Moscow",
        help="the servers' time zone (the target's `timezone`), for local hours and days",
    )
    args = parser.parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    with pd.option_context("display.width", 140, "display.max_columns", 20):
        for question in QUESTIONS:
            print(f"== {question.title} ({question.dataset})")
            if not has_data(args.root, question.dataset):
                print(f"   no files under {Path(args.root) / question.dataset}: skipped\n")
                continue
            ask = question.ask
            frame = ask(args.root, args.timezone) if question.local_time else ask(args.root)
            print(frame.to_string(max_rows=12, max_colwidth=30))
            if frame.empty:
                print("   nothing to chart\n")
                continue
            print(f"   chart: {question.plot(frame, out / question.chart)}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
