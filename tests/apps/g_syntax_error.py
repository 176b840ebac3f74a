from google.cloud import vision
def broken(:
    pass
