"""The demo's feeds: three small sites written for Sift's demo (not copied from anywhere),
so a newcomer sees a ranked list whose order follows the interests below."""

from __future__ import annotations

INTERESTS = "Rust, PostgreSQL and databases, self-hosting, space exploration"
ANTI_INTERESTS = "celebrity gossip, football transfer rumours"

FEEDS: dict[str, tuple[str, list[tuple[str, str]]]] = {
    "systems": (
        "The Systems Desk",
        [
            ("Rust 1.95 makes async closures boring, in a good way",
             "The new Rust release stabilises async closures. Library authors can drop a layer of boxing, and the compiler now explains lifetime errors in async code in plain words."),
            ("PostgreSQL 19 beta: faster index builds and smarter query plans",
             "The first beta of PostgreSQL 19 builds B-tree indexes in parallel by default and lets the planner reuse statistics across partitions. Early benchmarks show large databases vacuuming in half the time."),
            ("Self-hosting a feed reader on a Raspberry Pi",
             "A walkthrough of self-hosting a small web app at home: a Raspberry Pi, SQLite in WAL mode, a reverse proxy with automatic certificates, and backups that actually restore."),
            ("Why SQLite is enough for most side projects",
             "A single file, no server and transactions that survive a power cut. We measure how far one SQLite database goes before a project needs PostgreSQL."),
            ("A gentle introduction to TypeScript generics",
             "Generics let a function keep the type of what it is given. Three small examples show when they help and when a plain union type reads better."),
            ("The quiet rise of open-source maintainers' funds",
             "More companies now pay the maintainers of the libraries they depend on. A look at how the money is shared and what contributors think of it."),
        ],
    ),
    "sky": (
        "Orbit & Beyond",
        [
            ("Lunar lander touches down near the Moon's south pole",
             "The robotic lander reached the surface after a ten-day trip. Its first task is to look for water ice in permanently shadowed craters, a key question for space exploration."),
            ("Mars sample return gets a cheaper, simpler plan",
             "Engineers propose launching the return rocket from a lighter lander. The mission would bring Martian rock to Earth by the mid-2030s."),
            ("New telescope images show a galaxy being born",
             "Scientists used the telescope's infrared camera to watch gas clouds collapse into the first stars of a young galaxy."),
            ("Solar storms: what the coming peak means for satellites",
             "Operators are raising satellite orbits ahead of the solar maximum, when the upper atmosphere swells and drags on spacecraft."),
        ],
    ),
    "backpage": (
        "The Back Page",
        [
            ("Celebrity gossip: the red carpet's most talked-about outfits",
             "Our weekly round-up of celebrity gossip from the film premieres, from the surprising to the baffling."),
            ("Football transfer rumours: the striker everyone wants",
             "The transfer window is weeks away and the rumours are flying. Three clubs are said to be preparing offers for the league's top scorer."),
            ("Weekend football results and talking points",
             "A late goal settles the derby, while the league leaders drop points away from home."),
            ("Ten habits for better sleep, backed by research",
             "A study of four thousand adults finds that a regular bedtime matters more than the number of hours."),
            ("A new album and a sold-out tour",
             "The band's first album in six years arrives with a tour that sold out in minutes."),
        ],
    ),
}  # fmt: skip
