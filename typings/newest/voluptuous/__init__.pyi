# Home Assistant 2026.9+ aliases `voluptuous` to probatio at start-up
# (probatio.compat.install_as_voluptuous), so on the newest leg our `import voluptuous`
# is probatio at run time. These stubs tell mypy the same.
from probatio import *  # noqa: F403
