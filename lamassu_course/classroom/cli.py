"""The ``lamassu-course`` command (a ``[project.scripts]`` entry point).

    lamassu-course student SRC... DEST_DIR    student copies of the chapters (see ``student``)
    lamassu-course assign DIR [SRC...]        an nbgrader course directory (see ``grading``)
    lamassu-course results DIR                run every notebook under DIR, print each check's result

Run from the repository's root, SRC defaults to ``notebooks/`` for ``assign``.
"""
import argparse
import sys
from pathlib import Path

from . import grading, results, student

__all__ = ["main"]


def main(argv=None):
    """Run one subcommand; return its exit code (bad input exits 2 through argparse)."""
    parser = argparse.ArgumentParser(
        prog="lamassu-course",
        description="The course in class: student copies of the chapters, an nbgrader course "
                    "directory, and a table of check results without nbgrader.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    copies = commands.add_parser("student", help="write student copies of the chapters",
                                 description="Write student copies: solutions stubbed, checks kept, "
                                             "plain Markdown, executed.")
    student.add_arguments(copies)

    assign = commands.add_parser("assign", help="write an nbgrader course directory",
                                 description="Write DIR/nbgrader_config.py and DIR/source/<chapter>/ "
                                             "with nbgrader cell metadata.")
    assign.add_argument("course_dir", metavar="DIR", type=Path, help="the nbgrader course directory")
    assign.add_argument("src", metavar="SRC", type=Path, nargs="*",
                        help="chapters: a folder of notebooks, or notebooks (default: notebooks/)")

    table = commands.add_parser("results", help="run submitted notebooks and tabulate their checks",
                                description=results.__doc__.split("\n\n")[0])
    results.add_arguments(table)

    args = parser.parse_args(argv)
    if args.command == "student":
        return student.run(args, copies)
    if args.command == "results":
        return results.run(args, table)
    sources = args.src or [grading.default_chapters()]
    if sources == [None]:
        assign.error("give SRC: no notebooks/ folder beside a _config.yml above this directory")
    for src in sources:
        if not src.exists():
            assign.error(f"SRC {src} is not a directory or a notebook")
    try:
        grading.write_course(args.course_dir, sources)
    except ValueError as error:
        assign.error(str(error))
    print(f"Now, from {args.course_dir}: nbgrader generate_assignment <chapter>, then collect "
          f"submissions in submitted/<student>/<chapter>/, nbgrader autograde <chapter>, "
          f"nbgrader generate_feedback <chapter>, nbgrader export.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
