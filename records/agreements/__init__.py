"""The agreement texts and their signed copies.

- ``documents``: a text made from a template (title, headings, paragraphs; fields).
- ``templates``: the organisation's templates, versioned; ``texts/`` the built-in ones.
- ``fields``: what a case puts in a template's fields.
- ``seal``: the organisation's sealing certificate and key.
- ``pdf``: a frozen text rendered to PDF with its signature page, sealed (PAdES).
- ``signed``: a sealed PDF kept in the case file, encrypted.
"""
