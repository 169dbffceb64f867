"""One Markdown table writer for the report, the benchmarks and the GPU check."""


def format_cell(value, float_format=".4g"):
    """A table cell for ``value``: floats formatted, ``None`` as an en dash.

    Parameters
    ----------
    value : object
        What the cell shows.
    float_format : str, default=".4g"
        Format specification for floats.

    Returns
    -------
    cell : str
        The text of the cell; ``|`` is escaped so it cannot split the row.

    Examples
    --------
    >>> from skpapers.utils import format_cell
    >>> format_cell(0.123456), format_cell(None), format_cell(True), format_cell("a|b")
    ('0.1235', '–', 'yes', 'a\\\\|b')
    """
    if value is None:
        return "–"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return format(value, float_format)
    return str(value).replace("|", "\\|")


def markdown_table(rows, columns=None, float_format=".4g"):
    """Render ``rows`` (dicts) as a Markdown table.

    Parameters
    ----------
    rows : list of dict
        One dict per row.
    columns : list of (str, str or callable), default=None
        ``(heading, cell)`` per column, where ``cell`` is a key of the row or a
        function of the row returning the cell's value. ``None``: every key of
        the first row, headed by its name.
    float_format : str, default=".4g"
        Format specification for float values.

    Returns
    -------
    table : str
        The table, one line per row after the heading and rule lines, without a
        trailing newline; ``"_(no table)_"`` when ``rows`` is empty.

    Examples
    --------
    >>> from skpapers.utils import markdown_table
    >>> print(markdown_table([{"method": "ours", "nmse": 0.0123456, "note": None}]))
    | method | nmse | note |
    |---|---|---|
    | ours | 0.01235 | – |
    >>> total = [("sum", lambda row: row["a"] + row["b"])]
    >>> print(markdown_table([{"a": 1, "b": 2}], columns=total))
    | sum |
    |---|
    | 3 |
    """
    if not rows:
        return "_(no table)_"
    if columns is None:
        columns = [(key, key) for key in rows[0]]
    lines = [
        "| " + " | ".join(heading for heading, _ in columns) + " |",
        "|" + "---|" * len(columns),
    ]
    for row in rows:
        cells = (cell(row) if callable(cell) else row.get(cell) for _, cell in columns)
        lines.append(
            "| " + " | ".join(format_cell(c, float_format) for c in cells) + " |"
        )
    return "\n".join(lines)
