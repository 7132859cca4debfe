"""The task kernel: work orders every desk shares (accept, assign, handle, reply,
revisit, archive), with workflows and rules that plugins declare."""
