"""``sop forecast ...`` subcommands."""

import argparse


def add_forecast_commands(sub: argparse._SubParsersAction) -> None:
    """Register ``sop forecast`` and its subcommands on the top-level parser's subparsers."""
    p = sub.add_parser("forecast", help="forecasting tools: evaluate on a CSV, benchmark",
                       description="Forecasting tools.")
    p.add_subparsers(dest="forecast_command", required=True, metavar="SUBCOMMAND")
