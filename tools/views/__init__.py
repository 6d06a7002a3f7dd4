"""Reading, describing and comparing uploadd's two thread views: its
in-process dump (/debug/threads?format=json) and taskscope's snapshot, both
in the schema taskscope.snapshot/1 (docs/taskscope-snapshot.md), plus
taskscope watch's JSON Lines. Used by tools/compare-views and
tools/scenarios/summarize.py."""
