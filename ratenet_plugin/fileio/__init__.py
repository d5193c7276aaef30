"""Reading and writing of every file format the plugin uses, one module each.

- :mod:`.image_file`: images (one reader, damaged files refused).
- :mod:`.patn_csv`: PATN annotation and pairs CSVs.
- :mod:`.keypoint_json`: keypoint JSONs (ours, OpenPose, MMPose, MediaPipe).
- :mod:`.text_file`: the encoding policy of every text file (UTF-8).
- :mod:`.checkpoint_file`: checkpoints and pretrained weights.
- :mod:`.garment_labels`: the synthetic set's garment label images.
- :mod:`.errors`: ``UserInputError``, the base of the errors they raise.

Every caller (datasets, inferencer, tools, metrics) goes through these
modules, so training and inference see a file through the same rules.
"""
