"""The office's accounts: who may sign in, with which role and scope, what each may do, and who read what."""
