"""Docstring parts shared by several public objects, written once."""


def fill_doc(**parts):
    """Decorator: replace the ``%(name)s`` placeholders of a docstring by ``parts``.

    Each part is written with the indentation of the place it fills (four spaces
    for a module-level function or a class).
    """

    def decorate(obj):
        obj.__doc__ = obj.__doc__ % parts
        return obj

    return decorate
