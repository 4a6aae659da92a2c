"""What a file really is, checked before it is kept, and how it is packed to be kept.

- ``check``: what every check shares: its refusal and its time limit.
- ``uploads``: the type from the bytes alone, a safe name, the checks chosen by type.
- ``pdfs``, ``images``: page counts and sizes, hidden metadata removed.
- ``packing``: a file and its metadata in one case-file item, encrypted together.
"""
