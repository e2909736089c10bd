from lungxray.cli.main import main

raise SystemExit(main())
