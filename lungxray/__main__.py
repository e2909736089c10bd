from lungxray.cli import main

raise SystemExit(main())
