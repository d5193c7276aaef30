"""Reading and writing of every file format the plugin uses, one module each.

Every caller (datasets, inferencer, tools, metrics) goes through these
modules, so training and inference see a file through the same rules.
"""
