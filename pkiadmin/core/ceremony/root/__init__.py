"""The root key ceremony: its plan, steps, run, finish, report and scripted driver."""
