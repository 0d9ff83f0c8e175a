"""`python -m bench.suite`: the same as `crm bench`."""

from bench.suite.runner import main

raise SystemExit(main())
