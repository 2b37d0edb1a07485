"""The metric over time: one time-stamped log, its change point, control limits and alerts."""
