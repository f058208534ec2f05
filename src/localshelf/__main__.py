from localshelf.cli import main

raise SystemExit(main())
