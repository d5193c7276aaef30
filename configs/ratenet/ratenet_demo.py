# Old name of ratenet_demo_1xb4-1600cycles_synthetic-64x44.py (MMagic's naming scheme); kept as an alias.
_base_ = './ratenet_demo_1xb4-1600cycles_synthetic-64x44.py'
