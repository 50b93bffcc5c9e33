"""The pandas layer: the only part of fastpq that imports pandas."""
