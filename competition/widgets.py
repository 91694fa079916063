"""Form widgets of the site's pages."""

from __future__ import annotations

from django import forms


class _Linked(str):
    """A stored archive's name with the URL of the page that serves it (the widget links ``.url``)."""

    url = ""


class DataFileInput(forms.ClearableFileInput):
    """A data archive's input whose "Currently" link points at the phase's download page, not MEDIA_URL.

    The link reads as the download is named (``download_name``), on one line with the box that
    removes the archive; then the file input to replace it.
    """

    template_name = "widgets/data_file_input.html"
    clear_checkbox_label = "Remove"
    input_text = "Replace"
    download_url = ""
    download_name = ""

    def format_value(self, value):
        value = super().format_value(value)
        if value and self.download_url:
            linked = _Linked(self.download_name or value.name)
            linked.url = self.download_url
            return linked
        return value
