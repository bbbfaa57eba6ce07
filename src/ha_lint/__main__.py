from ha_lint.cli import main

raise SystemExit(main())
