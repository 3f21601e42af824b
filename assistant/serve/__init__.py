"""The browser chat and its server: the Gradio app, its HTML, uploads, logins and access rules."""
