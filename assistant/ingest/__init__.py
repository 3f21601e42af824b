"""Reading articles in: files, folders, record files, web pages and feeds, into `Article`s or refusals."""
