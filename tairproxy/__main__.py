from tairproxy.cli import main

raise SystemExit(main())
