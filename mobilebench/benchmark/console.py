"""Console tables (rich): the state of a sweep's runs and the leaderboard's summary."""
from __future__ import annotations

from typing import Dict, List, Optional

STATE_STYLES = dict(done='green', failed='red', running='cyan', queued='blue', pending='yellow',
                    changed='magenta')


def _console(console=None):
    from rich.console import Console
    return console or Console(highlight=False, soft_wrap=True)


def print_run_states(states: List[Dict], title: str = 'runs', console=None) -> Dict[str, int]:
    """One row per run (state, job, detail) and a count per state; returns the counts."""
    from rich.table import Table
    console = _console(console)
    table = Table(title=title, title_justify='left')
    for col in ('run', 'state', 'job', 'detail'):
        table.add_column(col, overflow='fold')
    counts: Dict[str, int] = {}
    for s in states:
        counts[s['state']] = counts.get(s['state'], 0) + 1
        style = STATE_STYLES.get(s['state'], '')
        table.add_row(s['run_id'], f'[{style}]{s["state"]}[/{style}]' if style else s['state'],
                      str(s.get('job_id') or ''), s.get('detail') or '')
    console.print(table)
    console.print(', '.join(f'{n} {state}' for state, n in sorted(counts.items())))
    return counts


def print_leaderboard_summary(summary: List[Dict], tasks: List[str], problems: List[Dict], paths: Dict,
                              console=None, verdicts: Optional[List[Dict]] = None) -> None:
    """The rank of each backbone per task, the block-vs-baseline sentences, the runs not in the tables, and the
    written files."""
    from rich.table import Table
    console = _console(console)
    if summary:
        table = Table(title='rank per task (headline metric)', title_justify='left')
        for col in ('backbone', *tasks, 'mean rank'):
            table.add_column(col)
        for s in summary:
            table.add_row(s['backbone'], *[str(s['ranks'].get(t, 'n/a')) for t in tasks], f'{s["mean_rank"]:.2f}')
        console.print(table)
    for v in verdicts or []:
        console.print(v['text'], markup=False)
    if problems:
        table = Table(title='runs not in the tables', title_justify='left')
        for col in ('run', 'problem', 'detail'):
            table.add_column(col, overflow='fold')
        for p in problems:
            table.add_row(p['run_id'], p['kind'], p['detail'][:200])
        console.print(table)
    for kind, path in paths.items():
        console.print(f'leaderboard {kind}: {path}')


def plain_line(text: str, console: Optional[object] = None) -> None:
    _console(console).print(text, markup=False)
