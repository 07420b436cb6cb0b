from opsctl.cli import main

raise SystemExit(main())
