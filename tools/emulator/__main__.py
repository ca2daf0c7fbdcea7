from tools.emulator.server import main

raise SystemExit(main())
