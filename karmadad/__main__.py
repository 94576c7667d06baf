from karmadad.cli import main

raise SystemExit(main())
