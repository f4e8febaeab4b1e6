"""The documents people hold: notices typeset from approved templates, with their proof."""
